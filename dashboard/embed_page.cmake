# cmake -DINPUT=page.html -DOUTPUT=page.cpp -P embed_page.cmake: the page as a C++ raw string,
# so the source stays a real HTML file that a browser opens as it is.
file(READ "${INPUT}" page)
string(FIND "${page}" ")vq_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string's end marker )vq_page\"")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by embed_page.cmake; edit the HTML file.\n"
  "#include \"dashboard_page.h\"\n\n"
  "namespace vq::dashboard {\n\n"
  "std::string_view dashboard_page() {\n"
  "  static constexpr std::string_view k_page = R\"vq_page(${page})vq_page\";\n"
  "  return k_page;\n"
  "}\n\n"
  "}  // namespace vq::dashboard\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
