# controller/kubernetes — the controller's Kubernetes client. Now: the connection settings
# (kubeconfig.c: a kubeconfig file as kubectl reads it, or a pod's service account), checked
# and loaded so a caller gets a server, its CA, credentials and a namespace, or a message
# naming the field. To come (issue 12): the API calls, pods chosen by label selectors,
# deletes and watches, for agentapi's targets and the healer's Job backend.
# May use: experiment (its YAML tree, yaml_tree.h), util (and what they use).
kubernetes_USES := experiment util
kubernetes_DIRS := controller/kubernetes
