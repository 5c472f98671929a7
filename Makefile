# Image builds work offline: the base tag is debootstrapped locally, no registry is pulled.
SANDBOX_IMAGE ?= verifiable-rewards-sandbox:latest

.PHONY: base-image sandbox-image images

base-image:
	./scripts/bootstrap_base_image.sh

sandbox-image: base-image
	SANDBOX_IMAGE=$(SANDBOX_IMAGE) ./scripts/build_sandbox_image.sh

images: sandbox-image
