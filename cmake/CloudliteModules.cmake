# One static library per module, each seeing only the headers of the modules it may use.
#
# Every module's headers are published into a "view" directory of its own in the build tree
# (build/modules/<target>/<module>/x.h, a symlink to src/<module>/x.h). A target's include path
# holds its own view and the views of the targets it links, and nothing else: src/ itself is
# on no include path. So `#include "engine/engine.h"` in src/format/ fails to compile (format
# does not link cloudlite_engine), and a module linked PRIVATE stays invisible to the modules
# above. The rule table is docs/design.md's layer list; src/<module>/README.md says it per module.

set(CLOUDLITE_VIEWS ${PROJECT_BINARY_DIR}/modules)

# Publishes `files` (absolute paths under `root`) into the view directory `view`, replacing
# whatever was there, so a removed or moved header disappears from the view too.
function(cloudlite_make_view view root)
  file(REMOVE_RECURSE ${view})
  foreach(f ${ARGN})
    file(RELATIVE_PATH rel ${root} ${f})
    get_filename_component(dir ${view}/${rel} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${f} ${view}/${rel} SYMBOLIC)
  endforeach()
endfunction()

# cloudlite_module(NAME
#   SOURCES globs under src/ (the *_test.cc files are left out: the test binary builds them)
#   EXCLUDE regex of sources under SOURCES that another module owns
#   HEADERS globs under src/ seen by the targets that link this one
#   PRIVATE_HEADERS globs under src/ seen only by this module's own sources
#   PUBLIC_API headers under include/ (installed; seen by the linking targets)
#   INSTALL_HEADERS files under src/ that a public header includes: installed as they are under
#     include/cloudlite/internal/ (on the installed target's include path), so that the same
#     `#include "lambda/lambda.h"` resolves in the tree and after `cmake --install`
#   DEPS targets whose headers this module's headers include (propagated)
#   PRIVATE_DEPS targets only this module's sources use)
function(cloudlite_module name)
  cmake_parse_arguments(M "" "" "SOURCES;HEADERS;PRIVATE_HEADERS;PUBLIC_API;INSTALL_HEADERS;DEPS;PRIVATE_DEPS;EXCLUDE"
                        ${ARGN})
  set(src ${PROJECT_SOURCE_DIR}/src)
  list(TRANSFORM M_SOURCES PREPEND ${src}/)
  list(TRANSFORM M_HEADERS PREPEND ${src}/)
  list(TRANSFORM M_PRIVATE_HEADERS PREPEND ${src}/)
  set(sources)
  if(M_SOURCES)
    file(GLOB sources CONFIGURE_DEPENDS ${M_SOURCES})
    list(FILTER sources EXCLUDE REGEX "_test\\.cc$")
    if(M_EXCLUDE)
      list(FILTER sources EXCLUDE REGEX "${M_EXCLUDE}")
    endif()
  endif()
  set(headers)
  if(M_HEADERS)
    file(GLOB headers CONFIGURE_DEPENDS ${M_HEADERS})
    if(M_EXCLUDE)
      list(FILTER headers EXCLUDE REGEX "${M_EXCLUDE}")
    endif()
  endif()
  set(private_headers)
  if(M_PRIVATE_HEADERS)
    file(GLOB private_headers CONFIGURE_DEPENDS ${M_PRIVATE_HEADERS})
  endif()
  set(target cloudlite_${name})
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  cloudlite_make_view(${CLOUDLITE_VIEWS}/${name} ${src} ${headers})
  target_include_directories(${target} ${scope} $<BUILD_INTERFACE:${CLOUDLITE_VIEWS}/${name}>)
  if(M_PUBLIC_API)
    list(TRANSFORM M_PUBLIC_API PREPEND ${PROJECT_SOURCE_DIR}/include/)
    cloudlite_make_view(${CLOUDLITE_VIEWS}/${name}-api ${PROJECT_SOURCE_DIR}/include ${M_PUBLIC_API})
    target_include_directories(${target} ${scope}
      $<BUILD_INTERFACE:${CLOUDLITE_VIEWS}/${name}-api> $<INSTALL_INTERFACE:include>)
  endif()
  foreach(h ${M_INSTALL_HEADERS})
    get_filename_component(dir ${h} DIRECTORY)
    install(FILES ${src}/${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cloudlite/internal/${dir})
  endforeach()
  if(M_INSTALL_HEADERS)
    target_include_directories(${target} ${scope} $<INSTALL_INTERFACE:include/cloudlite/internal>)
  endif()
  if(private_headers)
    cloudlite_make_view(${CLOUDLITE_VIEWS}/${name}-private ${src} ${private_headers})
    target_include_directories(${target} PRIVATE ${CLOUDLITE_VIEWS}/${name}-private)
  endif()
  if(M_DEPS)
    target_link_libraries(${target} ${scope} ${M_DEPS})
  endif()
  if(M_PRIVATE_DEPS)
    target_link_libraries(${target} PRIVATE ${M_PRIVATE_DEPS})
  endif()
  set_property(GLOBAL APPEND PROPERTY CLOUDLITE_MODULES ${target})
endfunction()
