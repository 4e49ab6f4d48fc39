# Every host builtin over the cases in input; RegoDifferentialIT compares the sidecar's answers (Wasm + Java
# builtins) with opa eval's (Go). Keys are case indices; an undefined result (a builtin error) leaves its key out.
package differential

match[k] := regex.match(c.p, c.t) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

is_valid[k] := regex.is_valid(c.p) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

find_n[k] := regex.find_n(c.p, c.t, c.n) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

find_all_string_submatch_n[k] := regex.find_all_string_submatch_n(c.p, c.t, c.n) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

replace[k] := regex.replace(c.t, c.p, c.r) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

split[k] := regex.split(c.p, c.t) if {
	some i, c in input.regex
	k := format_int(i, 10)
}

template_match[k] := regex.template_match(c.template, c.t, c.open, c.close) if {
	some i, c in input.templates
	k := format_int(i, 10)
}

sprintf_[k] := sprintf(c.f, c.args) if {
	some i, c in input.sprintf
	k := format_int(i, 10)
}

count_[k] := strings.count(c.t, c.s) if {
	some i, c in input.strings
	k := format_int(i, 10)
}

indexof_n_[k] := indexof_n(c.t, c.s) if {
	some i, c in input.strings
	k := format_int(i, 10)
}

sha256[k] := crypto.sha256(c.t) if {
	some i, c in input.strings
	k := format_int(i, 10)
}

md5[k] := crypto.md5(c.t) if {
	some i, c in input.strings
	k := format_int(i, 10)
}

date[k] := time.date(ns) if {
	some i, ns in input.times
	k := format_int(i, 10)
}

clock[k] := time.clock([ns, "America/New_York"]) if {
	some i, ns in input.times
	k := format_int(i, 10)
}

weekday[k] := time.weekday(ns) if {
	some i, ns in input.times
	k := format_int(i, 10)
}

keys[k] := sort(object.keys(o)) if {
	some i, o in input.objects
	k := format_int(i, 10)
}

results := {
	"regex.match": match,
	"regex.is_valid": is_valid,
	"regex.find_n": find_n,
	"regex.find_all_string_submatch_n": find_all_string_submatch_n,
	"regex.replace": replace,
	"regex.split": split,
	"regex.template_match": template_match,
	"sprintf": sprintf_,
	"strings.count": count_,
	"indexof_n": indexof_n_,
	"crypto.sha256": sha256,
	"crypto.md5": md5,
	"time.date": date,
	"time.clock": clock,
	"time.weekday": weekday,
	"object.keys": keys,
}
