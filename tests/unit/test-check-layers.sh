#!/bin/bash
# The controller's layering (issue 11, docs/design.md): scripts/check-layers.py passes on
# the tree, and fails — naming file, line, header and the rule — on a copy of the tree
# changed in one way at a time: an include that runs up the layers (engine -> cli), a
# controller header by path, a header name in two modules, a circle of uses, a use of no
# module. And the build itself refuses the wrong include: a module compiles with its own
# include folders only, so gcc does not find cli.h for engine/run.c.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect "the tree keeps its layers" 0 "0 violation(s)" scripts/check-layers.py

# copy NAME: a copy of the controller to change, in $tmp/NAME.
copy() {
	mkdir -p "$tmp/$1"
	cp -r controller "$tmp/$1/"
	echo "$tmp/$1"
}

t=$(copy up)
sed -i 's/^#include "exitcode.h"$/#include "exitcode.h"\n#include "cli.h"/' \
	"$t/controller/engine/run.c"
line=$(grep -n '^#include "cli.h"$' "$t/controller/engine/run.c" | cut -d: -f1)
expect "an include up the layers fails" 1 \
	"controller/engine/run.c:$line: #include \"cli.h\" of cli/, which engine may not use (engine may use: agentapi, experiment, hooks, kafka, kubernetes, probes, report, util; controller/engine/module.mk)" \
	scripts/check-layers.py --root "$t"

t=$(copy sideways)
echo '#include "kafka.h"' >>"$t/controller/probes/verdict.c"
expect "an include across one layer's neighbours fails" 1 \
	'#include "kafka.h" of kafka/, which probes may not use' \
	scripts/check-layers.py --root "$t"

t=$(copy path)
echo '#include "../cli/cli.h"' >>"$t/controller/report/junit.c"
expect "a controller header by path fails" 1 \
	'#include "../cli/cli.h": a path; include a header by its name' \
	scripts/check-layers.py --root "$t"

t=$(copy agent)
echo '#include "faultreq.h"' >>"$t/controller/engine/run_exp.c"
expect "an agent header in the controller fails" 1 \
	'#include "faultreq.h": no module of the controller has it' \
	scripts/check-layers.py --root "$t"

t=$(copy twice)
cp "$t/controller/util/ere.h" "$t/controller/report/ere.h"
expect "a header name in two modules fails" 1 \
	"a header of that name is also in" scripts/check-layers.py --root "$t"

t=$(copy circle)
sed -i 's/^hooks_USES :=.*/hooks_USES := probes/' "$t/controller/hooks/module.mk"
expect "a circle of uses fails" 1 \
	"the modules' uses run in a circle: agentapi -> experiment -> hooks -> probes -> agentapi" \
	scripts/check-layers.py --root "$t"

t=$(copy nosuch)
sed -i 's/^report_USES :=.*/report_USES := jsonx/' "$t/controller/report/module.mk"
expect "a use of no module fails" 1 "report may use jsonx, which is no module" \
	scripts/check-layers.py --root "$t"

# The compiler agrees: engine/run.c compiles with engine's include folders, and with an
# include of cli.h it does not.
read -ra flags <<<"$(make -s --no-print-directory print-module-cppflags M=engine)"
expect "engine/run.c compiles with engine's include folders" 0 "" \
	gcc -fsyntax-only "${flags[@]}" controller/engine/run.c
expect "engine/run.c including cli.h does not compile" 1 "cli.h: No such file or directory" \
	gcc -fsyntax-only "${flags[@]}" -iquote controller/engine "$tmp/up/controller/engine/run.c"

summary
