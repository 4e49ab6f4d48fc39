# Calls every host builtin; BuiltinsIT compares the Wasm results with opa eval's (Go).
package sidecar

results := {
	"sprintf": sprintf("%v|%d|%q|%.2f|%s|%x|%5d|%-4s|%e|%g|%v|%d", [
		"a", 7, "q\n", 2.675, [1, "b"], 255, 42, "ab",
		1234.5678, 0.00002, {"k": [true, null]}, "x",
	]),
	"sprintf_missing": sprintf("%s and %s", ["one"]),
	"keys": sort(object.keys({"a": 1, "b": 2})),
	"keys_are_a_set": object.keys({"a": 1, "b": 2}) - {"a"},
	"sprintf_float_text": sprintf("%.2f %v %d", [2.0, 2.5, 3]),
	"replace": regex.replace("a-b c-d", `(\w)-(\w)`, "$2-$1"),
	"replace_named": regex.replace("2026-01-05", `(?P<y>\d+)-(?P<m>\d+)-(?P<d>\d+)`, "${d}.${m}.${y}"),
	"split": regex.split(`\s*,\s*`, "a , b,c"),
	"split_edges": regex.split(",", ",a,"),
	"find_n": regex.find_n(`\d+`, "1 22 333", 2),
	"find_literals": regex.find_n(`sk-|AKIA|hooks\.slack\.com`, "task-AKIA sk- hooks.slack.com", -1),
	"find_posix": regex.find_n(`[[:digit:]]+`, "a1b22", -1),
	"sha256": crypto.sha256("abc"),
	"sha1": crypto.sha1("abc"),
	"md5": crypto.md5("abc"),
	"parse_rfc3339": time.parse_rfc3339_ns("2026-01-05T12:30:00.5+01:00"),
	"date": time.date(1767616200000000000),
	"clock": time.clock([1767616200000000000, "Europe/Berlin"]),
	"weekday": time.weekday(1767616200000000000),
	"count": strings.count("banana", "an"),
	"indexof_n": indexof_n("bänänä", "nä"),
	"invalid_regex_is_undefined": [x | x := regex.find_n(`(`, "a", -1)],
}

decision := {
	"allow": false,
	"reasons": [{"code": name, "message": json.marshal(value)} | some name, value in results],
	"patch": {},
	"now_matches_input": time.now_ns() == input.time.unix_ns,
}
