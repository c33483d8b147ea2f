package listen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/source"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jikimi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestTLSOctetCounting sends RFC 5425 frames over TLS, one of them too
// long, and checks the others arrive.
func TestTLSOctetCounting(t *testing.T) {
	certFile, keyFile := writeCert(t, t.TempDir())
	cfg, err := ServerTLS(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{}
	l, err := ListenSyslog(SyslogConfig{Network: "tls", Addr: "127.0.0.1:0", TLS: cfg, MaxMessageBytes: 1024, Logger: quietLogger(),
		Options: source.Options{Location: time.UTC}}, c.sink)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pool := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pemBytes)
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(msg string) string { return fmt.Sprintf("%d %s", len(msg), msg) }
	msg := func(id string) string {
		return "<134>1 2026-09-01T09:00:00+09:00 app1 billing-api - - - " + jsonRecord(id)
	}
	long := "<134>1 2026-09-01T09:00:00+09:00 app1 billing-api - - - " + strings.Repeat("x", 2000)
	fmt.Fprint(conn, frame(msg("t1"))+frame(long)+frame(msg("t2"))+msg("t3")+"\n")
	conn.Close()
	var ids []string
	for _, r := range c.wait(t, 3) {
		ids = append(ids, r.ID)
	}
	// Batches are stored concurrently: order is not kept across them.
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"t1", "t2", "t3"}) {
		t.Fatalf("ids %q, want t1 t2 t3 (and not the long message)", ids)
	}
}

// TestRsyslogForwards runs a real rsyslogd that receives from logger over
// UDP and forwards RFC 5424 with octet counting over TCP, the way the
// README tells sshd hosts to forward. Skipped without rsyslogd.
func TestRsyslogForwards(t *testing.T) {
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd not installed")
	}
	c := &capture{}
	l := startSyslog(t, "tcp", c, nil)
	_, port, _ := net.SplitHostPort(l.Addr().String())
	dir := t.TempDir()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, inPort, _ := net.SplitHostPort(pc.LocalAddr().String())
	pc.Close()
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="%s")
*.* action(type="omfwd" target="127.0.0.1" port="%s" protocol="tcp"
           template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted")
`, dir, inPort, port)
	confFile := filepath.Join(dir, "rsyslog.conf")
	os.WriteFile(confFile, []byte(conf), 0o600)
	cmd := exec.Command(rsyslogd, "-n", "-f", confFile, "-i", filepath.Join(dir, "rsyslog.pid"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		// UDP into rsyslog may be sent before it listens: resend until
		// something arrives (ids make repeats harmless to count).
		runLogger(t, "--rfc3164", "-d", "-n", "127.0.0.1", "-P", inPort, "-t", "sshd", "--id=77",
			"Accepted password for kim from 10.9.8.7 port 2222 ssh2")
		c.mu.Lock()
		n := len(c.recs)
		c.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing arrived through rsyslog:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r := c.wait(t, 1)[0]
	if r.Action != "login" || r.Actor.ID != "kim" || r.Origin.IP != "10.9.8.7" {
		t.Fatalf("record %+v", r)
	}
}

// TestSinkRetried checks that a failing store is retried, not dropped.
func TestSinkRetried(t *testing.T) {
	c := &capture{fail: 2}
	l := startSyslog(t, "tcp", c, nil)
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "<134>1 2026-09-01T09:00:00+09:00 app1 billing-api - - - %s\n", jsonRecord("x1"))
	conn.Close()
	if got := c.wait(t, 1); got[0].ID != "x1" {
		t.Fatalf("record %+v", got[0])
	}
}
