FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams streams
COPY correlator correlator
COPY notifiers notifiers
COPY schemas schemas
COPY vigil vigil
COPY packs packs
RUN pip install --no-cache-dir .
EXPOSE 6066
CMD ["vigil", "run", "--web-host", "0.0.0.0"]
