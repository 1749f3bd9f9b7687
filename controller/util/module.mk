# controller/util — small helpers of the controller with no domain in them: ere.c, the
# checks that keep a user's regular expression tame before regcomp sees it (experiment
# files and kafka.* probes both take patterns). May use: common only.
util_USES :=
util_DIRS := controller/util
