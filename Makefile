# The project's entry points. `make run` and `make test` set everything up themselves.
.PHONY: setup run test bench cuda-check clean

VENV_PY := .venv/bin/python

setup:
	scripts/setup.sh test

# The main job: read the plates of the example images shipped in examples/ (a table per image),
# and write annotated copies into build/examples-annotated/.
run: setup
	cd /tmp && $(CURDIR)/.venv/bin/lpr read $(CURDIR)/examples --draw $(CURDIR)/build/examples-annotated

test: setup
	.venv/bin/pytest -q

bench:
	scripts/setup.sh test,bench
	.venv/bin/pytest benchmarks -q --benchmark-only --benchmark-columns=min,median,mean,max,rounds \
		--benchmark-sort=name --benchmark-json=benchmarks/results/last.json
	$(VENV_PY) benchmarks/report.py benchmarks/results/last.json
	# the reader's configurations timed in turn on every photo (drift-proof ratios; latency.md/.png)
	$(VENV_PY) benchmarks/interleaved_latency.py --rounds 2 --out benchmarks/results/latency

cuda-check: setup
	scripts/check-cuda-build.sh

clean:
	rm -rf build dist .venv
