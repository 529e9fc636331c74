-- wrk script for the soak: the recorded AdmissionReviews of mixed.lua, with one request in ten
-- malformed (not JSON, truncated, no uid, a wrong type, 10,000 levels of nesting, a NUL byte, an
-- unknown apiVersion, a wrong path, a wrong method, and now and then a 4 MiB body). Counts what
-- was sent and what came back by status, across threads, and prints both at the end.
-- The good body files are listed in NETADMIT_BENCH_BODIES (space separated).
local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
local bodies = dofile(here .. "bodies.lua")

local path = "/validate?timeout=10s"
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json, */*",
  ["User-Agent"] = "kube-apiserver-admission",
}

local function review(request_json)
  return '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":' ..
      request_json .. '}'
end
local kind = '"kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE"'

-- Each malformed request: its name, the status it must get, and the request itself.
local bad = {
  {"not JSON", 400, wrk.format("POST", path, headers, "this is not JSON")},
  {"truncated JSON", 400, wrk.format("POST", path, headers,
    string.sub(bodies[1], 1, math.floor(#bodies[1] / 2)))},
  {"no uid", 400, wrk.format("POST", path, headers, review("{" .. kind .. "}"))},
  {"uid a number", 400, wrk.format("POST", path, headers, review('{"uid":5,' .. kind .. "}"))},
  {"10,000 levels of nesting", 400, wrk.format("POST", path, headers, string.rep("[", 10000))},
  {"a NUL byte", 400, wrk.format("POST", path, headers, bodies[1] .. "\0")},
  {"unknown apiVersion", 400, wrk.format("POST", path, headers,
    '{"apiVersion":"admission.k8s.io/v9","kind":"AdmissionReview","request":{"uid":"u"}}')},
  {"wrong path", 404, wrk.format("POST", "/mutate", headers, bodies[1])},
  {"wrong method", 405, wrk.format("GET", path, headers)},
}
local too_large = {"4 MiB body", 413,
  wrk.format("POST", path, headers, string.rep(" ", 4 * 1024 * 1024) .. bodies[1])}

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state): what was sent, and the answers by status.
sent_good = 0
sent_bad = {}    -- status -> count
answered = {}    -- status -> count
local n = 0

request = function()
  n = n + 1
  local entry
  if n % 10 ~= 0 then
    sent_good = sent_good + 1
    return wrk.format("POST", path, headers, bodies[n % #bodies + 1])
  elseif n % 20000 == 0 then
    entry = too_large
  else
    entry = bad[(n / 10) % #bad + 1]
  end
  sent_bad[entry[2]] = (sent_bad[entry[2]] or 0) + 1
  return entry[3]
end

response = function(status, headers, body)
  answered[status] = (answered[status] or 0) + 1
end

done = function(summary, latency, requests)
  local good, bad_sent, answers = 0, {}, {}
  for _, thread in ipairs(threads) do
    good = good + thread:get("sent_good")
    for status, count in pairs(thread:get("sent_bad")) do
      bad_sent[status] = (bad_sent[status] or 0) + count
    end
    for status, count in pairs(thread:get("answered")) do
      answers[status] = (answers[status] or 0) + count
    end
  end
  io.write(string.format("sent good %d\n", good))
  for status, count in pairs(bad_sent) do
    io.write(string.format("sent bad %d %d\n", status, count))
  end
  for status, count in pairs(answers) do
    io.write(string.format("answered %d %d\n", status, count))
  end
  io.write(string.format("socket errors connect %d read %d write %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
