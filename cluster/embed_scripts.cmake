# cmake -DLIB=lib.lua -DSCRIPTS="join.lua,heartbeat.lua,..." -DOUTPUT=cluster_script_sources.cpp -P embed_scripts.cmake
# Each script as sent to the server: lib.lua then the script, as a C++ raw string with its
# SHA-1 (what EVALSHA names it by), so the sources stay real Lua files.
file(READ "${LIB}" lib)
string(REPLACE "," ";" SCRIPTS "${SCRIPTS}")
set(entries "")
foreach(script IN LISTS SCRIPTS)
  file(READ "${script}" text)
  set(body "${lib}${text}")
  string(FIND "${body}" ")vq_lua\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${script} contains the raw string's end marker )vq_lua\"")
  endif()
  string(SHA1 sha "${body}")
  get_filename_component(name "${script}" NAME_WE)
  string(APPEND entries "    {\"${name}\", R\"vq_lua(${body})vq_lua\", \"${sha}\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from cluster/scripts/*.lua by embed_scripts.cmake; edit the Lua files.\n"
  "#include \"cluster_scripts.h\"\n\n"
  "namespace vq::cluster {\n\n"
  "const std::vector<ScriptSource>& script_sources() {\n"
  "  static const std::vector<ScriptSource> k_sources = {\n${entries}  };\n"
  "  return k_sources;\n"
  "}\n\n"
  "}  // namespace vq::cluster\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
