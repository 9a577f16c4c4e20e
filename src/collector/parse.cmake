# Pure parsers (no I/O): the extractor, the query-list parser, the aggregator,
# the worker task-list and node-info parsers (wtask, nodeinfo) and the TaskInfo
# reading rules the extractor and wtask share (taskread),
# the Prometheus pod-map parser, their shared pre-scanner; plus parsecli (the
# `--parse` table printer, stdio only).
# Linked by the collector and the tests.
add_library(tbe_parse STATIC
  ${CMAKE_CURRENT_LIST_DIR}/agg.c
  ${CMAKE_CURRENT_LIST_DIR}/extract.c
  ${CMAKE_CURRENT_LIST_DIR}/jscan.c
  ${CMAKE_CURRENT_LIST_DIR}/nodeinfo.c
  ${CMAKE_CURRENT_LIST_DIR}/nodelist.c
  ${CMAKE_CURRENT_LIST_DIR}/parsecli.c
  ${CMAKE_CURRENT_LIST_DIR}/promvec.c
  ${CMAKE_CURRENT_LIST_DIR}/qlist.c
  ${CMAKE_CURRENT_LIST_DIR}/taskread.c
  ${CMAKE_CURRENT_LIST_DIR}/wtask.c)
target_include_directories(tbe_parse PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(tbe_parse PUBLIC tbe_common PkgConfig::YAJL)
