-- POST status transitions, cycling over distinct items: in_progress -> blocked -> in_progress …
-- Arguments: token, then a file of "code status version" lines. Thread k of n takes the lines
-- k, k+n, k+2n…, so no two threads ever touch the same item; within a thread the list is long
-- enough (hundreds of items) that an item's previous transition has finished before its next one.
-- Every request sends the version the previous transition produced (If-Match), so a 409 would
-- show up as a non-2xx response. Each answer names its item: a 200 carries the new status and
-- version, a 409 the current version. They resynchronise the item, so that a request wrk built
-- but never sent (it happens when a connection is reset) costs one 409, not one per round.
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
   by_code = {}
   local line_number = 0
   for line in io.lines(args[2]) do
      if line ~= "" then
         if line_number % thread_count == (thread_index or 0) then
            local code, status, version = string.match(line, "(%S+)%s+(%S+)%s+(%d+)")
            local item = { code = code, status = status, version = tonumber(version) }
            item.first_status, item.first_version = status, item.version
            items[#items + 1] = item
            by_code[code] = item
         end
         line_number = line_number + 1
      end
   end
   position = 0
end

-- wrk calls request() once more on thread 0 before the run, to check the request, and throws
-- that request away: answer that call with a harmless read, not with a transition (which would
-- never be sent, and leave the item one version behind what the script expects).
local checked = nil

function request()
   if checked == nil then
      checked = (thread_index or 0) ~= 0
   end
   if not checked then
      checked = true
      return wrk.format("GET", "/api/v1/recommendations/?page_size=1", auth_headers())
   end
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

-- Only this script moves these items, always between in_progress and blocked, one version per
-- move: the status at a given version follows from the status and version read at the start.
local function status_at(item, version)
   if (version - item.first_version) % 2 == 0 then
      return item.first_status
   end
   return (item.first_status == "blocked") and "in_progress" or "blocked"
end

function response(status, headers, body)
   report_failure(status, body)
   local code = string.match(body or "", "LOAD%-%d+")
   local item = code and by_code[code]
   if not item then
      return
   end
   local version
   if status == 200 then
      version = tonumber(string.match(body, '"version":%s*(%d+)'))
   elseif status == 409 then
      version = tonumber(string.match(body, '"current_version":%s*(%d+)'))
   end
   -- A 200 older than what was sent since changes nothing; a 409 puts the item back where the
   -- server has it.
   if version and (status == 409 or version > item.version) then
      item.version = version
      item.status = status_at(item, version)
   end
end
