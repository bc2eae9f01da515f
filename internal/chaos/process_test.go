//go:build linux

package chaos

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// proc is one OS process of the run, restartable. Each runs in its own
// process group, so that a kill reaches anything it started, and dies with
// the test process (Pdeathsig) should the test itself be killed.
type proc struct {
	name string
	bin  string
	args []string
	log  string // stdout and stderr of every incarnation, appended

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	killing  bool
	starts   int
	kills    int
	unwanted []string // exits nobody asked for
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("%s: already running", p.name)
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(f, "=== %s start %d at %s\n", p.name, p.starts, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: start: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.killing = cmd, exited, false
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		if !p.killing {
			p.unwanted = append(p.unwanted, fmt.Sprintf("%s exited by itself: %v (see %s)", p.name, err, p.log))
		}
		p.cmd = nil
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// running reports whether the process is up.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// signal sends sig to the process group and waits up to wait for the exit.
// It reports whether the process is gone.
func (p *proc) signal(sig syscall.Signal, wait time.Duration) bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	if cmd == nil {
		p.mu.Unlock()
		return true
	}
	p.killing = true
	if sig == syscall.SIGKILL {
		p.kills++
	}
	p.mu.Unlock()
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = cmd.Process.Signal(sig)
	}
	select {
	case <-exited:
		return true
	case <-time.After(wait):
		return false
	}
}

// kill is SIGKILL: no shutdown, no drain, transactions cut off mid-flight.
func (p *proc) kill() { p.signal(syscall.SIGKILL, time.Minute) }

// stop asks for a clean shutdown and kills after grace.
func (p *proc) stop(grace time.Duration) {
	if !p.signal(syscall.SIGTERM, grace) {
		p.kill()
	}
}

// counts returns how often the process was started and SIGKILLed, and
// the exits nobody asked for.
func (p *proc) counts() (starts, kills int, unwanted []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts, p.kills, append([]string(nil), p.unwanted...)
}
