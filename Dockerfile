# The build container: everything the console needs to plan and apply the platform, pinned.
# Build with `make` (docker build -t platform-console .); run with `make shell` or
# `docker run -it --rm -v ~/.aws:/root/.aws:ro platform-console ./run.kube -e ENV`.
FROM debian:bookworm-slim

ARG TERRAFORM_VERSION=1.11.4
ARG AWS_PROVIDER_VERSION=5.100.0
ARG KUBECTL_VERSION=v1.31.4
ARG MOTO_VERSION=5.2.1
ARG AWSCLI_VERSION=1.45.11
ARG TARGETARCH=amd64

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip git tmux openssh-client \
    python3 python3-venv npm \
 && rm -rf /var/lib/apt/lists/*

# Terraform, checked against HashiCorp's published SHA256SUMS.
RUN curl -fsSLo /tmp/tf.zip "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_linux_${TARGETARCH}.zip" \
 && curl -fsSLo /tmp/tf.sums "https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}/terraform_${TERRAFORM_VERSION}_SHA256SUMS" \
 && (cd /tmp && grep "linux_${TARGETARCH}.zip" tf.sums | sed "s/terraform_.*zip/tf.zip/" | sha256sum -c -) \
 && unzip -d /usr/local/bin /tmp/tf.zip terraform && rm /tmp/tf.*

# The hashicorp/aws provider as a filesystem mirror at /opt/tf-plugins (the console's CLI config uses it).
RUN mkdir -p /tmp/mirror && printf 'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = "%s"\n    }\n  }\n}\n' "${AWS_PROVIDER_VERSION}" > /tmp/mirror/main.tf \
 && cd /tmp/mirror && terraform providers mirror -platform=linux_${TARGETARCH} /opt/tf-plugins-packed \
 && mkdir -p /opt/tf-plugins/registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}/linux_${TARGETARCH} \
 && unzip -d /opt/tf-plugins/registry.terraform.io/hashicorp/aws/${AWS_PROVIDER_VERSION}/linux_${TARGETARCH} /opt/tf-plugins-packed/registry.terraform.io/hashicorp/aws/*.zip \
 && rm -rf /tmp/mirror /opt/tf-plugins-packed

# kubectl, checked against its published sha256.
RUN curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl" \
 && echo "$(curl -fsSL https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl.sha256)  /usr/local/bin/kubectl" | sha256sum -c - \
 && chmod +x /usr/local/bin/kubectl

# moto, the local AWS emulator behind --local.
RUN python3 -m venv /opt/moto && /opt/moto/bin/pip install --no-cache-dir "moto[server]==${MOTO_VERSION}" \
 && ln -s /opt/moto/bin/moto_server /usr/local/bin/moto_server

# The AWS CLI (its own venv: it pins its own botocore): the tests run the nodes' bootstrap
# functions (terraform/modules/bootstrap/scripts/lib.sh) with it against moto.
RUN python3 -m venv /opt/awscli && /opt/awscli/bin/pip install --no-cache-dir "awscli==${AWSCLI_VERSION}" \
 && ln -s /opt/awscli/bin/aws /usr/local/bin/aws

WORKDIR /opt/platform-console
COPY package.json package-lock.json ./
# Node 24 comes from the pinned npm "node" package (node_modules/.bin/node).
RUN npm ci --no-audit --no-fund
COPY . .
# Compiled by tsc and bundled by esbuild (dist/bundle/bin.js is what run.kube runs).
RUN node_modules/.bin/tsc -p tsconfig.json && node_modules/.bin/node scripts/bundle.mjs && touch dist/.build-stamp

ENV PLATFORM_PROVIDER_MIRROR=/opt/tf-plugins
ENTRYPOINT []
CMD ["./run.kube", "--help"]
