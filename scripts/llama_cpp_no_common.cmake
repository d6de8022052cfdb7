# Injected after llama.cpp's project() call (CMAKE_PROJECT_llama.cpp_INCLUDE) by
# scripts/install_demo_deps.sh: llama-cpp-python forces LLAMA_BUILD_COMMON on, but its Python
# package never loads libllama-common, which is a large part of the compile time.
set(LLAMA_BUILD_COMMON OFF CACHE BOOL "llama.cpp common utils library (unused by llama-cpp-python)" FORCE)
