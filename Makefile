# `make` builds the build container (needs a Docker engine; there is none on the CI machines).
IMAGE ?= platform-console
.PHONY: image shell test
image:
	docker build -t $(IMAGE) .
shell: image
	docker run -it --rm -v $(HOME)/.aws:/root/.aws:ro -v $(CURDIR)/profiles:/opt/platform-console/profiles $(IMAGE) bash
test:
	npm install-ci-test
