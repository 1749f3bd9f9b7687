# controller/schedule — when gamedays run: cron expressions (cron.c), the schedule file
# and its state (schedule.c, schedule_state.c: last runs, missed runs), and the daemon that
# acts on them (scheduler.c: locks, the clock, the child runs, signals), which
# `faultline schedule` calls and another program could. May use: common only.
schedule_USES :=
schedule_DIRS := controller/schedule
