# SPDX-License-Identifier: GPL-2.0
"""The seeds of the fuzz targets over what a cluster controls (seeds.py
writes them): Kubernetes objects as the API server writes them, watch
responses, kubeconfigs, KubeProxyConfigurations and manifests folders."""
import base64
import json
import zlib


def meta(name, ns="default", rv="1000", labels=None, **more):
    m = {"name": name, "uid": "6f1c2d3e-%012x" % zlib.crc32(name.encode()),
         "resourceVersion": rv,
         "creationTimestamp": "2026-12-05T10:00:00Z"}
    if ns is not None:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    m.update(more)
    return m


def service(name, spec, ns="default", status=None, **m):
    return {"kind": "Service", "apiVersion": "v1",
            "metadata": meta(name, ns, **m), "spec": spec,
            "status": status or {"loadBalancer": {}}}


def port(name, p, target, proto="TCP", node_port=None):
    d = {"name": name, "protocol": proto, "port": p, "targetPort": target}
    if node_port:
        d["nodePort"] = node_port
    return d


def slice_(name, service_name, atype, endpoints, ports, ns="default", **m):
    labels = {"kubernetes.io/service-name": service_name,
              "endpointslice.kubernetes.io/managed-by":
              "endpointslice-controller.k8s.io"}
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
            "metadata": meta(name, ns, labels=labels,
                             generateName=service_name + "-", **m),
            "addressType": atype, "endpoints": endpoints, "ports": ports}


def endpoint(addrs, node=None, zone=None, ready=True, serving=True,
             terminating=False, hostname=None, hints=None):
    e = {"addresses": addrs,
         "conditions": {"ready": ready, "serving": serving,
                        "terminating": terminating}}
    if node:
        e["nodeName"] = node
    if zone:
        e["zone"] = zone
    if hostname:
        e["hostname"] = hostname
    if hints:
        e["hints"] = hints
    e["targetRef"] = {"kind": "Pod", "namespace": "default",
                      "name": "pod-" + addrs[0].replace(".", "-"),
                      "uid": "0d7e"}
    return e


SINGLE = {"ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"}

SERVICES = {
    "kubernetes": service("kubernetes", dict(
        clusterIP="10.96.0.1", clusterIPs=["10.96.0.1"],
        internalTrafficPolicy="Cluster",
        ports=[port("https", 443, 6443)], sessionAffinity="None",
        type="ClusterIP", **SINGLE),
        labels={"component": "apiserver", "provider": "kubernetes"}),
    "kube-dns": service("kube-dns", dict(
        clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"],
        ports=[port("dns", 53, 53, "UDP"), port("dns-tcp", 53, 53),
               port("metrics", 9153, 9153)],
        selector={"k8s-app": "kube-dns"}, sessionAffinity="None",
        type="ClusterIP", **SINGLE), ns="kube-system",
        labels={"k8s-app": "kube-dns",
                "kubernetes.io/cluster-service": "true",
                "kubernetes.io/name": "CoreDNS"},
        annotations={"prometheus.io/port": "9153",
                     "prometheus.io/scrape": "true"}),
    "nodeport": service("web", dict(
        clusterIP="10.96.12.7", clusterIPs=["10.96.12.7"],
        externalTrafficPolicy="Cluster", internalTrafficPolicy="Cluster",
        ports=[port("http", 80, "http-web", node_port=30080),
               port("https", 443, 8443, node_port=30443)],
        selector={"app": "web"}, sessionAffinity="ClientIP",
        sessionAffinityConfig={"clientIP": {"timeoutSeconds": 10800}},
        type="NodePort", **SINGLE), ns="shop"),
    "loadbalancer": service("ingress-nginx-controller", dict(
        allocateLoadBalancerNodePorts=True, clusterIP="10.96.200.3",
        clusterIPs=["10.96.200.3"], externalTrafficPolicy="Local",
        healthCheckNodePort=32156, internalTrafficPolicy="Cluster",
        loadBalancerSourceRanges=["203.0.113.0/24", " 198.51.100.7/16 "],
        loadBalancerIP="192.0.2.10", externalIPs=["192.0.2.20"],
        ports=[port("http", 80, "http", node_port=31080),
               port("https", 443, "https", node_port=31443)],
        selector={"app.kubernetes.io/name": "ingress-nginx"},
        sessionAffinity="None", type="LoadBalancer",
        trafficDistribution="PreferClose", **SINGLE),
        ns="ingress-nginx",
        status={"loadBalancer": {"ingress": [
            {"ip": "192.0.2.10", "ipMode": "VIP"},
            {"hostname": "lb.example.com"},
            {"ip": "2001:db8::10", "ipMode": "Proxy",
             "ports": [{"port": 80, "protocol": "TCP"}]}]}}),
    "dual-stack": service("dual", dict(
        clusterIP="fd00::5a", clusterIPs=["fd00::5a", "10.96.0.90"],
        ipFamilies=["IPv6", "IPv4"], ipFamilyPolicy="PreferDualStack",
        ports=[port("", 8080, 8080, "SCTP")], selector={"app": "dual"},
        internalTrafficPolicy="Local", type="ClusterIP"), ns="shop"),
    "headless": service("web-headless", dict(
        clusterIP="None", clusterIPs=["None"], publishNotReadyAddresses=True,
        ports=[port("http", 80, 8080)], selector={"app": "web"},
        type="ClusterIP", **SINGLE), ns="shop"),
    "externalname": service("db", dict(
        externalName="db.example.com", type="ExternalName",
        sessionAffinity="None"), ns="shop"),
}

SLICES = {
    "slice-ipv4": slice_("web-x7k2p", "web", "IPv4", [
        endpoint(["10.244.1.11"], "node-1", "zone-a", hostname="web-0",
                 hints={"forZones": [{"name": "zone-a"}],
                        "forNodes": [{"name": "node-1"}]}),
        endpoint(["10.244.2.12"], "node-2", "zone-b", ready=False,
                 serving=True, terminating=True),
    ], [{"name": "http", "protocol": "TCP", "port": 8080},
        {"name": "https", "protocol": "TCP", "port": 8443}], ns="shop"),
    "slice-ipv6": slice_("dual-9fz4d", "dual", "IPv6", [
        endpoint(["fd00:10:244:1::7"], "node-1"),
    ], [{"name": "", "protocol": "SCTP", "port": 8080}], ns="shop"),
    "slice-fqdn": slice_("db-fqdn", "db", "FQDN", [
        endpoint(["db.example.com"])], [{"name": "pg", "port": 5432}],
        ns="shop"),
    "slice-empty": {"kind": "EndpointSlice",
                    "apiVersion": "discovery.k8s.io/v1",
                    "metadata": meta("kubernetes", labels={
                        "kubernetes.io/service-name": "kubernetes"}),
                    "addressType": "IPv4", "endpoints": None,
                    "ports": None},
}

NODES = {
    "node": {"kind": "Node", "apiVersion": "v1",
             "metadata": meta("node-1", None, labels={
                 "kubernetes.io/hostname": "node-1",
                 "kubernetes.io/os": "linux",
                 "topology.kubernetes.io/region": "region-1",
                 "topology.kubernetes.io/zone": "zone-a"}),
             "spec": {"podCIDR": "10.244.1.0/24",
                      "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"]},
             "status": {"addresses": [
                 {"type": "InternalIP", "address": "192.168.1.11"},
                 {"type": "InternalIP", "address": "fd00::11"},
                 {"type": "ExternalIP", "address": "203.0.113.11"},
                 {"type": "Hostname", "address": "node-1"}]}},
    "node-deleting": {"kind": "Node", "apiVersion": "v1",
                      "metadata": meta("node-1", None,
                                       deletionTimestamp=
                                       "2026-12-05T11:00:00Z",
                                       finalizers=["example.com/drain"]),
                      "status": {"addresses": [
                          {"type": "InternalIP",
                           "address": "192.168.1.11"}]}},
}


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def decode_seeds():
    seeds = {}
    for group in (SERVICES, SLICES, NODES):
        for name, obj in group.items():
            seeds[name] = json.dumps(obj, indent=2) + "\n"
    items = [o for g in (SERVICES, SLICES, NODES) for o in g.values()]
    seeds["list"] = dumps(items)
    return seeds


def event(kind, obj):
    return dumps({"type": kind, "object": obj}) + "\n"


def bookmark(kind, rv, initial=False):
    m = {"resourceVersion": rv}
    if initial:
        m["annotations"] = {"k8s.io/initial-events-end": "true"}
    api = "discovery.k8s.io/v1" if kind == "EndpointSlice" else "v1"
    return event("BOOKMARK", {"kind": kind, "apiVersion": api,
                              "metadata": m})


def status(code, reason, message):
    return event("ERROR", {"kind": "Status", "apiVersion": "v1",
                           "metadata": {}, "status": "Failure",
                           "message": message, "reason": reason,
                           "code": code})


def modified(obj, rv, **spec):
    obj = json.loads(json.dumps(obj))
    obj["metadata"]["resourceVersion"] = rv
    obj.get("spec", {}).update(spec)
    return obj


def watch_seeds():
    svc = SERVICES["nodeport"]
    sl = SLICES["slice-ipv4"]
    node = NODES["node"]
    return {
        "services": event("ADDED", SERVICES["kubernetes"]) +
        event("ADDED", svc) +
        event("MODIFIED", modified(svc, "1001", type="ClusterIP")) +
        bookmark("Service", "1005") +
        event("DELETED", modified(svc, "1006")) +
        event("ADDED", SERVICES["loadbalancer"]),
        "slices": event("ADDED", sl) + event("ADDED", SLICES["slice-fqdn"]) +
        event("MODIFIED", modified(sl, "1002")) +
        event("DELETED", SLICES["slice-fqdn"]),
        "nodes": event("ADDED", node) +
        event("MODIFIED", NODES["node-deleting"]) +
        event("DELETED", node),
        "bookmark-initial": event("ADDED", SERVICES["kube-dns"]) +
        bookmark("Service", "1200", initial=True) +
        bookmark("EndpointSlice", "1201"),
        "gone": event("ADDED", SERVICES["headless"]) +
        status(410, "Expired", "too old resource version: 1000 (1500)") +
        event("ADDED", SERVICES["dual-stack"]),
        "error-500": status(500, "InternalError",
                            "an error on the server (\"\") has prevented "
                            "the request from succeeding"),
        "crlf-keepalive": "\r\n\n" +
        event("ADDED", SERVICES["externalname"]).replace("\n", "\r\n") +
        "\n\n" + event("ADDED", SERVICES["dual-stack"]),
        "partial": event("ADDED", SERVICES["kubernetes"]) +
        event("ADDED", svc)[:200],
        "garbage": "not json\n" + dumps({"type": "ADDED"}) + "\n" +
        dumps({"type": "RESYNC", "object": {}}) + "\n" +
        dumps({"type": "ADDED", "object": {"kind": "Service"}}) + "\n" +
        event("ADDED", sl),
    }


def b64(s):
    return base64.b64encode(s.encode()).decode()


PEM = ("-----BEGIN CERTIFICATE-----\n"
       "MIIBszCCAVmgAwIBAgIUFakeFakeFakeFakeFakeFakeFakeFakwCgYIKoZIzj0E\n"
       "-----END CERTIFICATE-----\n")
KEY = ("-----BEGIN EC PRIVATE KEY-----\n"
       "MHcCAQEEIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeoAoGCCqGSM49\n"
       "-----END EC PRIVATE KEY-----\n")


def kubeconfig_seeds(read):
    admin = f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {b64(PEM)}
    server: https://192.168.1.10:6443/
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: {b64(PEM)}
    client-key-data: {b64(KEY)}
"""
    token = """apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: "https://[fd00::1]:6443"
    certificate-authority: pki/ca.crt
    insecure-skip-tls-verify: false
- name: dev
  cluster: {server: "http://127.0.0.1:8080", insecure-skip-tls-verify: true}
contexts:
- {name: dev, context: {cluster: dev, user: dev}}
- name: prod
  context: {cluster: prod, user: robot, namespace: kube-system}
current-context: prod
users:
- name: robot
  user:
    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.e30.c2lnbmF0dXJl
    client-certificate: certs/robot.crt
    client-key: certs/robot.key
- name: dev
  user: {tokenFile: token}
"""
    js = json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {
            "server": "https://k.example:443",
            "certificate-authority-data": b64(PEM).replace("A", "A\n")}}],
        "contexts": [{"name": "c", "context": {"cluster": "k",
                                               "user": "u"}}],
        "users": [{"name": "u", "user": {"tokenFile": "missing-token"}}]},
        indent=1)
    return {
        "kubeadm-kubeconfig.conf": read("examples/kubeadm/kubeconfig.conf"),
        "admin.conf": admin,
        "token": token,
        "json": js,
        "skip-tls": token.replace("current-context: prod",
                                  "current-context: dev"),
        "no-user": admin.replace("    user: kubernetes-admin\n", ""),
    }


HEAD = ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
        "kind: KubeProxyConfiguration\n")


def kpconfig_seeds(read):
    conf = read("examples/kubeadm/config.conf").decode()
    ipvs = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
hostnameOverride: " Node-1 "
healthzBindAddress: 0.0.0.0
metricsBindAddress: "::"
nodePortAddresses: ["192.168.1.0/24", "fd00::/64"]
detectLocalMode: ClusterCIDR
featureGates: {TopologyAwareHints: true}
ipvs: {syncPeriod: 45s, minSyncPeriod: 1.5s, scheduler: rr, strictARP: true}
linux:
  masqueradeAll: true
  oomScoreAdj: -999
  conntrack:
    maxPerCore: 32768
    min: 131072
    tcpEstablishedTimeout: 24h0m0s
    tcpCloseWaitTimeout: 1h0m0s
    tcpBeLiberal: true
    udpTimeout: 30s
    udpStreamTimeout: 2m
logging: {verbosity: 4, format: text}
clientConnection: {kubeconfig: /var/lib/kube-proxy/kubeconfig.conf, qps: 5}
"""
    nft = """{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
 "kind": "KubeProxyConfiguration", "mode": "nftables",
 "syncPeriod": "1m30s", "nftables": {"minSyncPeriod": "500ms",
 "masqueradeAll": true}, "conntrack": {"maxPerCore": 0, "min": null},
 "metricsBindAddress": "127.0.0.1:10249",
 "healthzBindAddress": "[::1]:10256"}
"""
    return {
        "kubeadm-config.conf": conf,
        "ipvs": ipvs,
        "nftables-json": nft,
        "iptables": conf.replace("  syncPeriod: 0s\nipvs",
                                 "  syncPeriod: 10s\nipvs", 1)
                        .replace("clusterCIDR: 10.244.0.0/16",
                                 "clusterCIDR: 10.244.0.0/16\n"
                                 "detectLocalMode: ClusterCIDR"),
        "unknown-field": ipvs + "iptablesSyncPeriod: 30s\n",
        "detect-bridge": ipvs.replace("detectLocalMode: ClusterCIDR",
                                      "detectLocalMode: BridgeInterface"),
        "two-documents": conf + "---\n" + conf,
        # Numbers past the integers they become (UBSan's
        # float-cast-overflow before kpconfig.c checked the range).
        "huge-verbosity": HEAD + "logging: {verbosity: 1.0e+20}\n",
        "huge-conntrack": HEAD + "conntrack: {min: 1.0e+30, "
        "maxPerCore: 9223372036854775808}\n",
    }


TUTORIAL = ["api-service-endpoints.yaml", "api-service.overlay.yaml",
            "api-service.yaml", "frontend-service-endpoints.yaml",
            "frontend-service.overlay.yaml", "frontend-service.yaml",
            "ingress-nginx-endpoints.yaml", "ingress-nginx.overlay.yaml",
            "ingress-nginx.yaml", "kube-dns.yaml",
            "my-app-service-endpoints.yaml", "my-app-service.overlay.yaml",
            "my-app-service.yaml", "my-database.yaml", "my-ingress.yaml"]


def folder(files):
    """Files as fuzz_manifests.c cuts its input: "#@ NAME" lines."""
    out = b""
    for name, data in files:
        if out and not out.endswith(b"\n"):
            out += b"\n"
        out += b"#@ " + name.encode() + b"\n" + data
    return out


def manifests_seeds(read):
    tut = [(n, read("examples/tutorial/" + n)) for n in TUTORIAL]
    step = "examples/tutorial/steps/"
    items = [o for g in (SERVICES, SLICES) for o in g.values()]
    node_list = {"kind": "NodeList", "apiVersion": "v1",
                 "items": [NODES["node"], dict(NODES["node"], metadata=meta(
                     "node-2", None))]}
    return {
        "tutorial": folder(tut),
        "tutorial-loadbalancer": folder(
            tut + [("my-app-service.yaml",
                    read(step + "my-app-service.loadbalancer.yaml"))]),
        "tutorial-nodeport": folder(
            [("my-app-service.yaml",
              read(step + "my-app-service.nodeport.yaml"))] +
            [t for t in tut if t[0] != "my-app-service.yaml"]),
        "deploy": folder([("kserviced.yaml", read("deploy/kserviced.yaml")),
                          ("kserviced-kubeadm.yaml",
                           read("deploy/kserviced-kubeadm.yaml"))]),
        "api-objects-json": folder([
            ("list.json", dumps({"kind": "List", "apiVersion": "v1",
                                 "items": items}).encode()),
            ("nodes.json", dumps(node_list).encode()),
            (".hidden.yaml", b"kind: Service\n"),
            ("notes.txt", b"not a manifest\n"),
            ("z-overlay.yml", b"apiVersion: kserviced.kservice.io/v1alpha1\n"
             b"kind: Overlay\ntarget: {kind: Service, name: web-headless,"
             b" namespace: shop}\npatch: {spec: {clusterIP: null,"
             b" clusterIPs: [10.96.7.7]}}\n")]),
        "one-file": read("examples/tutorial/kube-dns.yaml"),
        # This node's Node twice (stats.nodes counted 2).
        "node-twice": dumps({"kind": "List", "items": [
            {"kind": "Node", "metadata": {"name": "node-1"}},
            {"kind": "Node", "metadata": {"name": "node-1"}}]}),
        # A name with a newline: the log line was cut in two.
        "name-newline": folder([("t.json", b'{"kind":"Service",'
                                 b'"metadata":{"name":"\n"}}')]),
        "syntax-error": folder([("a.yaml", read(
            "examples/tutorial/my-app-service.yaml")),
            ("b.yaml", b"kind: Service\nmetadata: {name: [\n")]),
    }
