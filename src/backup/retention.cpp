#include "backup/retention.hpp"
