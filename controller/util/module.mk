# controller/util — small helpers of the controller with no domain in them: ere.c, the
# checks that keep a user's regular expression tame before regcomp sees it (experiment
# files and kafka.* probes both take patterns); labelsel.c, Kubernetes' label and field
# selector grammar (labels.Parse, fields.ParseSelector) so an experiment's selector is
# refused where it is written, and label matching for what the API does not filter. May
# use: common only.
util_USES :=
util_DIRS := controller/util
