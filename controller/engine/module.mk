# controller/engine — running experiments: the run and its exit code (run.c, exitcode.h),
# one experiment's state machine (run_exp.c: steady state, method, rollbacks), faults and
# their deadlines (run_faults.c), the abort watcher (run_watch.c), the observer
# (run_observe.c), the journal it writes (run_journal.c), the progress line, the probes of a
# run (probe_ctx.c: which kind a spec gets), the hook instances (hook_run.c) and the plan of
# an experiment, what a run would do (plan.c).
# May use: agentapi, experiment, hooks, kafka, kubernetes, probes, report, util (and what
# they use).
engine_USES := agentapi experiment hooks kafka kubernetes probes report util
engine_DIRS := controller/engine
