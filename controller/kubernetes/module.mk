# controller/kubernetes — the controller's Kubernetes client. Now: the connection settings
# (kubeconfig.c: a kubeconfig file as kubectl reads it, or a pod's service account), checked
# and loaded so a caller gets a server, its CA, credentials and a namespace, or a message
# naming the field; the API client (kube.c: requests over agentapi's HTTPS/JSON client, the
# API's errors explained) and pods listed by label and field selectors (kube_pods.c). To
# come (issue 12): deletes, watches, targets by selector, agents found per node.
# May use: agentapi (its HTTPS client, agent_client.h), experiment (its YAML tree,
# yaml_tree.h), util (and what they use).
kubernetes_USES := agentapi experiment util
kubernetes_DIRS := controller/kubernetes
