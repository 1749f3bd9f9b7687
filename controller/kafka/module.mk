# controller/kafka — Kafka measurements on librdkafka: one client per cluster
# (kafka_client.c), end offsets, committed offsets, partitions and their leaders, consumer
# lag and its status, the end-to-end probe round trip, and the kafka.* probe kind built on
# them (kafka_probe.c). May use: probes, util (and what they use).
kafka_USES := probes util
kafka_DIRS := controller/kafka
