-- Shared by every case: the Authorization header, and a JSON summary line that bench.py reads.
-- Arguments after `--`: the token, then case-specific ones.

token = nil

function auth_headers(extra)
   local headers = { ["Authorization"] = "Token " .. token, ["Accept"] = "application/json" }
   for name, value in pairs(extra or {}) do
      headers[name] = value
   end
   return headers
end

-- Reading every response costs the load generator CPU: only when asked, to see why requests fail
-- (wrk counts non-2xx answers in errors.status anyway).
local shown = 0
function report_failure(status, body)
   if os.getenv("BENCH_WRK_DEBUG") and (status < 200 or status > 299) and shown < 3 then
      shown = shown + 1
      io.stderr:write("HTTP " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n")
   end
end

if os.getenv("BENCH_WRK_DEBUG") then
   response = report_failure
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p95_us": %d, ' ..
      '"p99_us": %d, "mean_us": %.1f, "max_us": %d, "errors_connect": %d, "errors_read": %d, ' ..
      '"errors_write": %d, "errors_status": %d, "errors_timeout": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.mean, latency.max,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
