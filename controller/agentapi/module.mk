# controller/agentapi — talking to Faultline agents: the HTTP client (agent_client.c: unix
# socket or mTLS, bounded bodies), the agent set of an experiment (agents.c), which agent
# and which pod a target means (targets.c), and the inject bodies the agent API takes
# (fault_body.c). May use: experiment (and what it uses).
agentapi_USES := experiment
agentapi_DIRS := controller/agentapi
