-- GET a list of paths in turn (each thread starts at a different place in the list).
-- Arguments: token, then a file with one path per line.
dofile("common.lua")

local threads_seen = 0

function setup(thread)
   thread:set("thread_index", threads_seen)
   threads_seen = threads_seen + 1
end

function init(args)
   token = args[1]
   paths = {}
   for line in io.lines(args[2]) do
      if line ~= "" then
         paths[#paths + 1] = line
      end
   end
   position = ((thread_index or 0) * 7919) % #paths
   headers = auth_headers()
end

function request()
   position = position % #paths + 1
   return wrk.format("GET", paths[position], headers)
end
