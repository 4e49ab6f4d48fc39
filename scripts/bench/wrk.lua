-- wrk script of `make bench`: POSTs the body in $BENCH_BODY with the extra headers in $BENCH_HEADERS
-- ("Name: value|Name: value") and prints its summary as one JSON line starting with BENCH_RESULT.
local function read(path)
  local f = assert(io.open(path, "rb"), "BENCH_BODY: cannot read " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = read(os.getenv("BENCH_BODY"))
wrk.headers["Content-Type"] = "application/json"
for header in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
  local name, value = string.match(header, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

-- $BENCH_GAP_MS (syscalls.sh, profile.sh, gaps.sh): milliseconds each connection waits before each request;
-- unset or 0, none.
local gap = tonumber(os.getenv("BENCH_GAP_MS") or "0") or 0
if gap > 0 then
  function delay()
    return gap
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.6f,"errors":%d,' ..
    '"error_kinds":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_ms":{"p50":%.4f,"p90":%.4f,"p99":%.4f,"max":%.4f,"mean":%.4f}}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, latency.mean / 1e3))
end
