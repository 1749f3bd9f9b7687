# controller/experiment — experiment files: the YAML tree (yaml_tree.c), the parser and
# its per-section files (exp_*.c), the data model every other part reads (experiment.h).
# Parsing checks everything a file can get wrong — fields, values, hook configs against
# their modules, netem and nftables specs through the netem library — and runs nothing.
# May use: hooks, util, netem, common.
experiment_USES := hooks util
experiment_DIRS := controller/experiment
