# cloudlite_add_lambda(<target> SOURCES <files>... [LIBRARIES <targets>...])
#
# Builds <target>, a program whose main() calls cloudlite::lambda::Run (<cloudlite/lambda.h>),
# linked with cloudlite::lambda and LIBRARIES (cloudlite::cloudlite for a database), and
# <target>.zip beside it: the program as `bootstrap` (mode 0755) at the root of the zip, what a
# custom runtime (provided.al2023) runs. The zip is a plain zip of the built binary: it loads
# where the binary's shared libraries and glibc exist (docs/lambda.md, "Packaging").
# The zip is made by the target <target>_zip, part of the default build, when `zip` is found.
# The same file serves this tree and, installed beside cloudliteConfig.cmake which includes it,
# any project that does find_package(cloudlite).
find_program(CLOUDLITE_ZIP zip)

function(cloudlite_add_lambda target)
  cmake_parse_arguments(L "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT L_SOURCES)
    message(FATAL_ERROR "cloudlite_add_lambda(${target}): SOURCES is required")
  endif()
  add_executable(${target} ${L_SOURCES})
  target_link_libraries(${target} PRIVATE cloudlite::lambda ${L_LIBRARIES})
  if(NOT CLOUDLITE_ZIP)
    message(WARNING "cloudlite_add_lambda(${target}): `zip` not found, no ${target}.zip "
                    "(apt-get install zip)")
    return()
  endif()
  set(stage ${CMAKE_CURRENT_BINARY_DIR}/${target}.zip.d)
  set(zip ${CMAKE_CURRENT_BINARY_DIR}/${target}.zip)
  add_custom_command(
    OUTPUT ${zip}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${stage} ${zip}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${stage}
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${target}> ${stage}/bootstrap
    COMMAND chmod 0755 ${stage}/bootstrap
    # -X: no extra attributes (reproducible); -j: bootstrap at the root; Unix modes are kept.
    COMMAND ${CLOUDLITE_ZIP} -q -X -j ${zip} ${stage}/bootstrap
    DEPENDS ${target}
    COMMENT "Packaging ${target}.zip (bootstrap at the root)"
    VERBATIM)
  add_custom_target(${target}_zip ALL DEPENDS ${zip})
endfunction()
