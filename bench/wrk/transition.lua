-- POST status transitions, cycling over distinct items: in_progress -> blocked -> in_progress …
-- Arguments: token, then a file of "code status version" lines. Thread k of n takes the lines
-- k, k+n, k+2n…, so no two threads ever touch the same item; within a thread the list is long
-- enough (hundreds of items) that an item's previous transition has finished before its next one.
-- Every request sends the version the previous transition produced (If-Match), so a 409 would
-- show up as a non-2xx response.
dofile("common.lua")

local threads_seen = 0
local thread_count = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")

function setup(thread)
   thread:set("thread_index", threads_seen)
   threads_seen = threads_seen + 1
end

function init(args)
   token = args[1]
   items = {}
   local line_number = 0
   for line in io.lines(args[2]) do
      if line ~= "" then
         if line_number % thread_count == (thread_index or 0) then
            local code, status, version = string.match(line, "(%S+)%s+(%S+)%s+(%d+)")
            items[#items + 1] = { code = code, status = status, version = tonumber(version) }
         end
         line_number = line_number + 1
      end
   end
   position = 0
end

function request()
   position = position % #items + 1
   local item = items[position]
   local body
   if item.status == "in_progress" then
      item.status = "blocked"
      body = '{"to_status": "blocked", "comment": "Chờ ý kiến thống nhất (benchmark)."}'
   else
      item.status = "in_progress"
      body = '{"to_status": "in_progress", "comment": ""}'
   end
   local headers = auth_headers({
      ["Content-Type"] = "application/json",
      ["If-Match"] = '"' .. item.version .. '"',
   })
   item.version = item.version + 1
   return wrk.format("POST", "/api/v1/recommendations/" .. item.code .. "/transition/", headers, body)
end
