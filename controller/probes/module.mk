# controller/probes — what a probe is (probe.h: a sample of named metrics at a time), the
# http/prometheus and pod probe kinds, and the verdict rules (verdict.c) that judge samples
# against tolerances and baselines. Probes never judge; verdicts never sample. The kafka.*
# kind lives with the Kafka client (kafka/), the hook kind with the engine's hook instances;
# which kind a spec gets is the engine's choice (engine/probe_ctx.c).
# May use: agentapi, experiment, util (and what they use).
probes_USES := agentapi experiment util
probes_DIRS := controller/probes
