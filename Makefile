# Entry points for people and CI. Everything real lives in CMake and the tool.
BUILD ?= build
JOBS  ?= $(shell nproc)
# Most integration tests wait on the server, on timeouts or on child processes
# (the suite's own CPU is about half its wall time): twice as many at once.
TEST_JOBS ?= $(shell echo $$(( $$(nproc) * 2 )))
CMAKE_FLAGS ?=

.PHONY: all deps build demo test package format tidy check-code clean

all: build

deps:
	./packaging/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Applies the example project to a throwaway PostgreSQL and shows status.
demo: build
	./packaging/demo.sh $(BUILD)/safe-migrate

# Builds and runs every test (unit and integration, against a sandbox cluster).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

# The Debian package, from a release build without the tests (its own build
# directory): $(BUILD)-package/safe-migrate_<version>_<arch>.deb.
package: deps
	cmake -S . -B $(BUILD)-package -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD)-package -j $(JOBS)
	cd $(BUILD)-package && cpack -G DEB

format: $(BUILD)/build.ninja
	cmake --build $(BUILD) --target format

tidy: $(BUILD)/build.ninja
	cmake --build $(BUILD) --target tidy

# What CI checks after the tests: formatting of the whole tree, clang-tidy on what changed.
check-code: $(BUILD)/build.ninja
	BUILD=$(BUILD) ./.ci/code-check

clean:
	rm -rf $(BUILD)
