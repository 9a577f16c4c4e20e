# Process-level tests of the supervisor (engineer D2): notify, restart,
# reload, protocol violations, shutdown. Included from CMakeLists.txt here.
tbe_integration_test(it_supervisor test_supervisor.py)
