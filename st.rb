10156 1796509474.137698 execve("/usr/bin/node", ["node", "bin/runbook.js", "apply", "bench/fleet.yml", "-i", "bench/results/20261205-221658-20"..., "--forks", "50", "-e", "bench_root=/tmp/s19/r50", "--json"], 0x7ffe38b393e8 /* 35 vars */) = 0
10156 1796509474.438776 connect(21, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
10156 1796509474.439000 connect(21, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
10156 1796509474.471568 connect(22, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.10")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.472757 connect(23, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.11")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.473672 connect(24, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.12")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478259 connect(25, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.13")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478398 connect(26, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.14")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478477 connect(27, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.15")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478577 connect(28, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.16")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478654 connect(29, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.17")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478733 connect(30, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.18")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.478964 connect(31, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.19")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479059 connect(32, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.20")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479125 connect(33, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.21")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479184 connect(34, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.22")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479237 connect(35, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.23")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479291 connect(36, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.24")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479345 connect(37, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.25")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479403 connect(38, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.26")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479460 connect(39, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.27")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479516 connect(40, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.28")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479585 connect(41, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.29")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479642 connect(42, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.30")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479699 connect(43, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.31")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479907 connect(44, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.32")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.479992 connect(45, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.33")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480063 connect(46, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.34")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480124 connect(47, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.35")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480205 connect(48, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.36")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480271 connect(49, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.37")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480324 connect(50, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.38")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480379 connect(51, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.39")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480432 connect(52, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.40")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480488 connect(53, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.41")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480544 connect(54, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.42")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480595 connect(55, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.43")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480647 connect(56, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.44")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480705 connect(57, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.45")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480759 connect(58, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.46")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480830 connect(59, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.47")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480883 connect(60, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.48")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480935 connect(61, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.49")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.480982 connect(62, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.50")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481080 connect(63, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.51")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481176 connect(64, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.52")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481235 connect(65, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.53")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481286 connect(66, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.54")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481334 connect(67, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.55")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481397 connect(68, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.56")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481453 connect(69, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.57")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481513 connect(70, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.58")}, 16) = -1 EINPROGRESS (Operation now in progress)
10156 1796509474.481576 connect(71, {sa_family=AF_INET, sin_port=htons(22), sin_addr=inet_addr("10.60.1.59")}, 16) = -1 EINPROGRESS (Operation now in progress)
10160 1796509476.683266 +++ exited with 0 +++
10159 1796509476.683297 +++ exited with 0 +++
10158 1796509476.683333 +++ exited with 0 +++
10161 1796509476.683338 +++ exited with 0 +++
10157 1796509476.684225 +++ exited with 0 +++
10164 1796509476.684597 +++ exited with 0 +++
10165 1796509476.684639 +++ exited with 0 +++
10166 1796509476.684703 +++ exited with 0 +++
10156 1796509476.684822 exit_group(0 <unfinished ...>
10163 1796509476.684830 +++ exited with 0 +++
10156 1796509476.684862 <... exit_group resumed>) = ?
10162 1796509476.687160 +++ exited with 0 +++
10156 1796509476.687181 +++ exited with 0 +++
