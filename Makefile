# The project's entry points. `make run` and `make test` set everything up themselves.
.PHONY: setup run test bench cuda-check clean

VENV_PY := .venv/bin/python

setup:
	scripts/setup.sh test

# The main job. Until the plate reader and its models land, it is pydarknet's self-check:
# what was built, and darknet vs OpenCV DNN on yolov3-tiny (same weights, same input).
run: setup
	cd /tmp && $(CURDIR)/$(VENV_PY) -m pydarknet selfcheck

test: setup
	.venv/bin/pytest -q

bench:
	scripts/setup.sh test,bench
	.venv/bin/pytest benchmarks -q --benchmark-only --benchmark-columns=min,median,mean,max,rounds \
		--benchmark-sort=name --benchmark-json=benchmarks/results/last.json
	$(VENV_PY) benchmarks/report.py benchmarks/results/last.json

cuda-check: setup
	scripts/check-cuda-build.sh

clean:
	rm -rf build dist .venv
