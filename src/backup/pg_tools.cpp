#include "backup/pg_tools.hpp"
