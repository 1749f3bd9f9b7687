#!/usr/bin/python3
# Generates many-samples.json: a 10-minute experiment sampled every second by a throughput
# and a lag probe (1200 samples), with three fault windows and one failing check. Kept so
# the fixture can be regenerated; the output is committed (tests never run this).
import json

T0 = 1795896000000
samples = []
for s in range(600):
    at = T0 + s * 1000
    phase = "before" if s < 60 else ("after" if s >= 540 else "during")
    in_fault = any(a <= s < b for a, b in ((100, 200), (250, 330), (400, 480)))
    rate = 1000 - (300 if in_fault else 0) + (s * 37 % 23)
    lag = (s % 100) * 90 if in_fault else (s * 13 % 40)
    samples.append({"probe": "throughput", "phase": phase, "atMs": at,
                    "values": {"rate": rate, "messages": rate * 10},
                    "verdict": "pass" if rate >= 650 else "fail"})
    samples.append({"probe": "lag", "phase": phase, "atMs": at,
                    "values": {"lag.max": lag, "lag.sum": lag * 3, "status": "OK"},
                    "verdict": "pass" if lag <= 5000 else "fail"})


def check(probe, typ, phase, verdict, metric, observed, rule, message, at, dur):
    return {"probe": probe, "type": typ, "phase": phase, "verdict": verdict, "metric": metric,
            "observed": observed, "rule": rule, "message": message, "atMs": at, "durationMs": dur}


checks = [
    check("throughput", "kafka.throughput", "before", "pass", "rate", 1010, "rate >= 650",
          "rate 1010 >= 650", T0 + 60000, 60000),
    check("lag", "kafka.consumerLag", "before", "pass", "lag.max", 39, "lag.max <= 5000",
          "lag.max 39 <= 5000", T0 + 60000, 60000),
    check("throughput", "kafka.throughput", "during", "pass", "rate", 700, "rate >= 650",
          "rate 700 >= 650", T0 + 540000, 480000),
    check("lag", "kafka.consumerLag", "during", "fail", "lag.max", 8910, "lag.max <= 5000",
          "consumer lag max 8910 > 5000 at 14:41:39", T0 + 540000, 480000),
    check("throughput", "kafka.throughput", "after", "pass", "rate", 1005, "rate >= 650",
          "rate 1005 >= 650", T0 + 600000, 60000),
    check("lag", "kafka.consumerLag", "after", "pass", "lag.max", 30, "lag.max <= 5000",
          "lag.max 30 <= 5000", T0 + 600000, 60000),
]
faults = []
for i, (a, b) in enumerate(((100, 200), (250, 330), (400, 480))):
    faults.append({"name": f"delay-{i}", "kind": "delay", "target": f"streamforge/loader-{i}",
                   "agent": "node-a", "id": f"d{i:09d}", "mechanism": "nfqueue-delay-line",
                   "inject": {"result": "ok", "atMs": T0 + a * 1000, "durationMs": 2},
                   "revert": {"result": "ok", "atMs": T0 + b * 1000, "durationMs": 4,
                              "reason": "deadline"}})
journal = {
    "journalVersion": 1, "faultline": "0.4.0", "librdkafka": "2.0.2",
    "run": {"id": "20261128T200000Z-many", "host": "node-1",
            "files": ["experiments/soak.yaml"], "suite": "soak", "seed": 12345,
            "startedMs": T0, "finishedMs": T0 + 600000, "outcome": "deviated", "exitCode": 1},
    "experiments": [{"name": "soak", "file": "experiments/soak.yaml", "startedMs": T0,
                     "finishedMs": T0 + 600000, "outcome": "deviated", "checks": checks,
                     "faults": faults, "samples": samples}],
}
with open("many-samples.json", "w") as f:
    json.dump(journal, f, separators=(",", ":"))
    f.write("\n")
