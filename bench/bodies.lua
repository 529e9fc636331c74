-- The request bodies of the wrk scripts: the files listed in the environment variable
-- NETADMIT_BENCH_BODIES (space separated), read whole. Returns them as a list.
local bodies = {}
for path in string.gmatch(os.getenv("NETADMIT_BENCH_BODIES") or "", "%S+") do
  local file = assert(io.open(path, "rb"))
  bodies[#bodies + 1] = file:read("*a")
  file:close()
end
assert(#bodies > 0, "NETADMIT_BENCH_BODIES lists no files")
return bodies
