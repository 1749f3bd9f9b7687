# controller/hooks — the hook interface (hook.h: what an embedded system-under-test module
# must offer), the registry of compiled-in modules, their periodic timer, and the modules:
# ticker (the minimal one) and integrity (the lab pipeline's data-integrity and latency
# check, in integrity/, which the lab's own programs link from here). The self-healing and
# canary modules will sit beside them. Knows nothing of experiments or runs: the parser
# checks configs against a module, the engine runs instances (engine/hook_run.h).
# May use: common only.
hooks_USES :=
hooks_DIRS := controller/hooks controller/hooks/integrity
