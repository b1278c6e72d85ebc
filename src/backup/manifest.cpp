#include "backup/manifest.hpp"
