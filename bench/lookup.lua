-- wrk script for bench/hotpath.sh: Entra ID's hot path,
-- GET {base}/Users?filter=userName+eq+%22host-NNNNNN%40bench.example%22,
-- picking a random userName among the N provisioned ones for each request.
-- Arguments (after `--`): N, the bearer token, the base path.
-- done() prints one machine-readable RESULT line that hotpath.sh parses.

local hosts, token, base = 2000, "", "/scim/v2"

function init(args)
  hosts = tonumber(args[1] or "2000")
  token = args[2] or ""
  base = args[3] or "/scim/v2"
  -- A different sequence per wrk thread.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local n = math.random(1, hosts)
  local path = string.format(
    "%s/Users?filter=userName+eq+%%22host-%06d%%40bench.example%%22", base, n)
  return wrk.format("GET", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Accept"] = "application/scim+json",
  })
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local non2xx = summary.errors.status
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT req_s=%.0f p50_us=%d p99_us=%d requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / secs, latency:percentile(50), latency:percentile(99),
    summary.requests, non2xx, errs))
end
