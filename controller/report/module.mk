# controller/report — the journal (journal.c: the run's record, written as it happens and
# read back) and what is made from it: JUnit XML, the HTML report, the text summary, and the
# XML escaping they share. Reads a journal, never a run: `faultline report` can rebuild
# every report from journal.json alone. May use: common only.
report_USES :=
report_DIRS := controller/report
