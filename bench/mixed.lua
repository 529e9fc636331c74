-- wrk script: POST /validate with a mix of recorded AdmissionReviews, round robin per thread.
-- The body files are listed in the environment variable NETADMIT_BENCH_BODIES (space separated).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local bodies = dofile(here .. "bodies.lua")

local next_body = 0
wrk.method = "POST"
wrk.path = "/validate?timeout=10s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
wrk.headers["User-Agent"] = "kube-apiserver-admission"

request = function()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
end
