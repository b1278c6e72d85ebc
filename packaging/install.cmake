# Installing safe-migrate and packaging it as a .deb (CPack), included from the
# top-level CMakeLists.txt:
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
#   cmake --build build-release && (cd build-release && cpack -G DEB)
#
# The binary finds policies/ and runbooks/ in ../share/safe-migrate beside
# itself (src/core/share_dir.hpp), so any --prefix works.

# --- Generated at build time from the command table: the man page, the completions
add_executable(gen_docs ${PROJECT_SOURCE_DIR}/packaging/gen_docs.cpp)
target_link_libraries(gen_docs PRIVATE sm_cli)
set(SM_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
set(SM_DOCS ${SM_DOCS_DIR}/safe-migrate.1 ${SM_DOCS_DIR}/safe-migrate.bash
    ${SM_DOCS_DIR}/_safe-migrate ${SM_DOCS_DIR}/safe-migrate.fish)
add_custom_command(OUTPUT ${SM_DOCS}
  COMMAND gen_docs ${SM_DOCS_DIR}
  DEPENDS gen_docs
  COMMENT "Man page and completions from the command table")
add_custom_command(OUTPUT ${SM_DOCS_DIR}/safe-migrate.1.gz
  COMMAND gzip -9 -n -f -k ${SM_DOCS_DIR}/safe-migrate.1
  DEPENDS ${SM_DOCS_DIR}/safe-migrate.1)
add_custom_target(docs ALL DEPENDS ${SM_DOCS} ${SM_DOCS_DIR}/safe-migrate.1.gz)

# --- What is installed
include(GNUInstallDirs)
install(TARGETS safe-migrate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/policies/default.toml ${PROJECT_SOURCE_DIR}/policies/strict.toml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/safe-migrate/policies)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runbooks/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/safe-migrate/runbooks FILES_MATCHING PATTERN "*.md")
install(FILES ${SM_DOCS_DIR}/safe-migrate.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SM_DOCS_DIR}/safe-migrate.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME safe-migrate)
install(FILES ${SM_DOCS_DIR}/_safe-migrate DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${SM_DOCS_DIR}/safe-migrate.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

# --- The Debian package (cpack -G DEB in the build directory; `make package`)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME safe-migrate)
set(CPACK_PACKAGE_VENDOR "safe-migrate")
set(CPACK_PACKAGE_CONTACT "safe-migrate maintainers <safe-migrate@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "production-safe PostgreSQL schema migrations")
set(CPACK_PACKAGE_INSTALL_DIRECTORY /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the binary without its debug symbols
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the shared libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "postgresql-client")  # pg_dump, pg_restore
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql")  # initdb and pg_ctl for `sandbox`
set(CPACK_PACKAGE_DESCRIPTION "Applies plain SQL migrations with short lock timeouts and \
retries under an advisory lock, lints destructive and lock-heavy statements, takes verified \
backups and rolls back on failure.")
include(CPack)
