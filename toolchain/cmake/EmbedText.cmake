# cmake -P script: INPUT text file -> OUT .cpp defining NAMESPACE::SYMBOL as a char array.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n  "
       bytes "${bytes}")
file(WRITE ${OUT} "// Generated from ${INPUT} by EmbedText.cmake. Do not edit.
namespace ${NAMESPACE} {
extern const char ${SYMBOL}[];
const char ${SYMBOL}[] = {
  ${bytes}0x00};
}  // namespace ${NAMESPACE}
")
