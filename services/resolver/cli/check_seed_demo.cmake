# Runs synchub-resolve on the seed's scenarios and checks SPEC section 3's table in its output.
# Usage: cmake -DRESOLVE=<binary> -DSEED=<jsonl> -P check_seed_demo.cmake
execute_process(COMMAND ${RESOLVE} ${SEED} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "synchub-resolve exited ${rc}:\n${out}")
endif()
foreach(expected
    "CUST-001 +ERP v1, CRM v1 +PRIORITY_WIN +CRM"
    "CUST-002 +CRM v2, Portal v1 +STALE_SKIP +CRM"
    "CUST-003 +CRM v1, ERP v1 +FIELD_MERGE +ERP"
    "CUST-004 +CRM v5, CRM v5 +MANUAL +CRM"
    "CUST-005 +CRM v1 +NEW_RECORD +CRM")
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "missing summary row matching '${expected}' in:\n${out}")
  endif()
endforeach()
message(STATUS "seed demo output matches SPEC section 3")
