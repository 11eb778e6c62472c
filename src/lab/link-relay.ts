// The user-space link of the lab's slow-link emulation (slow-link.ts): these kernels have no
// netem qdisc, so packets between the controller and a host go through a small python3 program
// that delays and drops them. It owns two TUN devices per host, `A` (stays in the root namespace,
// the controller's route to the host) and `B` (moved into the host's namespace, the host's
// route back to the controller); whatever arrives on one is written to the other after `delay`
// ms, unless it is dropped (probability `loss`, each packet and direction on its own), and at
// most `rate` bits/s per direction (serialised, as a real uplink queues). Constant delay keeps
// packets in order, as a real path mostly does. Counters go to STATS (JSON) every second and
// at exit, so a test can see that the emulation is in effect. TUN devices that are not
// persistent vanish with their file descriptors: when the relay ends (by PID, SIGTERM), every
// route over it goes with it.
//
// python3 (not Node) because opening a TUN device needs an ioctl, which Node cannot do
// without native code; python3 is on every lab machine (the lab's full hosts need it anyway).
export const LINK_RELAY_PY = String.raw`
import fcntl, heapq, json, os, random, selectors, signal, struct, sys, time

TUNSETIFF = 0x400454ca
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

def tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd

cfg = json.loads(sys.argv[1])
delay = cfg['delayMs'] / 1000.0
loss = cfg['loss']
rate = cfg.get('rateBps') or 0
stats_file = cfg['stats']
rng = random.Random(cfg.get('seed'))
peer = {}
ends = {}
for pair in cfg['pairs']:
    a = tun(pair['a'])
    b = tun(pair['b'])
    peer[a] = b
    peer[b] = a
    ends[a] = 'up'    # controller -> host
    ends[b] = 'down'  # host -> controller
stats = {'up': {'packets': 0, 'dropped': 0, 'bytes': 0}, 'down': {'packets': 0, 'dropped': 0, 'bytes': 0}}
busy_until = {}
queue = []
seq = 0
running = True

def stop(signum, frame):
    global running
    running = False

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

def write_stats():
    tmp = stats_file + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(stats, f)
    os.replace(tmp, stats_file)

sel = selectors.DefaultSelector()
for fd in peer:
    sel.register(fd, selectors.EVENT_READ)
write_stats()
print('ready', flush=True)
last_stats = time.monotonic()
while running:
    now = time.monotonic()
    timeout = 1.0
    if queue:
        timeout = max(0.0, min(timeout, queue[0][0] - now))
    try:
        events = sel.select(timeout)
    except InterruptedError:
        continue
    now = time.monotonic()
    for key, _ in events:
        fd = key.fd
        while True:
            try:
                pkt = os.read(fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                running = False
                break
            d = stats[ends[fd]]
            d['packets'] += 1
            d['bytes'] += len(pkt)
            if loss > 0 and rng.random() < loss:
                d['dropped'] += 1
                continue
            depart = now
            if rate > 0:
                start = max(now, busy_until.get(fd, 0.0))
                depart = start + len(pkt) * 8.0 / rate
                busy_until[fd] = depart
            seq += 1
            heapq.heappush(queue, (depart + delay, seq, peer[fd], pkt))
    while queue and queue[0][0] <= now:
        _, _, out, pkt = heapq.heappop(queue)
        try:
            os.write(out, pkt)
        except OSError:
            pass
    if now - last_stats >= 1.0:
        last_stats = now
        write_stats()
write_stats()
`;
