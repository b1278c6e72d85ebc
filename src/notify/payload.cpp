#include "notify/payload.hpp"
