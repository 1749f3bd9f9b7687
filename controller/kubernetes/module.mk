# controller/kubernetes — the controller's Kubernetes side: the connection settings
# (kubeconfig.c: a kubeconfig file as kubectl reads it, or a pod's service account), the API
# client (kube.c: requests over agentapi's HTTPS/JSON client, the API's errors explained),
# pods listed by label and field selectors (kube_pods.c), and what a run does with them
# (kube_run.c: one client per run, shared by its threads; kube_targets.c: `pods` targets
# chosen with the run's seed; kube_delete.c: pod-delete with a uid precondition;
# kube_probe.c: the kubernetes.* probes). To come (issue 12): watches, agents found per
# node, kafkaLeader targets.
# May use: agentapi (its HTTPS client, agent_client.h; targets.h), experiment (its YAML tree,
# yaml_tree.h), probes (probe.h, as kafka/ does), util (and what they use).
kubernetes_USES := agentapi experiment probes util
kubernetes_DIRS := controller/kubernetes
