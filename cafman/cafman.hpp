#pragma once

// Everything a cafman client needs: managers, proxies, processes, values.

#include "cafman/convert.hpp"
#include "cafman/errors.hpp"
#include "cafman/value.hpp"
#include "net/authkey.hpp"
#include "net/server.hpp"
#include "proxies/array.hpp"
#include "proxies/barrier.hpp"
#include "proxies/condition.hpp"
#include "proxies/custom.hpp"
#include "proxies/dict.hpp"
#include "proxies/event.hpp"
#include "proxies/list.hpp"
#include "proxies/lock.hpp"
#include "proxies/manager.hpp"
#include "proxies/namespace.hpp"
#include "proxies/process.hpp"
#include "proxies/queue.hpp"
#include "proxies/semaphore.hpp"
#include "proxies/shared_value.hpp"
#include "proxies/sync_manager.hpp"
