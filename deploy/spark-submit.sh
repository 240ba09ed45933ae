#!/usr/bin/env bash
# Training moviebot's iALS factors on a Spark cluster (an example; adjust hosts and sizes).
#
# The build runs as the Spark driver on this machine (client mode): it loads the MovieLens
# folder, writes the ratings as Parquet to SPARK_DATA, where every executor reads them, and
# collects the factors back into MOVIEBOT_HOME's models artifact. ALS runs in the executors'
# JVMs (no Python is needed there). Writing to hdfs:// needs Hadoop's client (libhdfs) here.
set -euo pipefail

export MOVIEBOT_DATA_DIR=${MOVIEBOT_DATA_DIR:-/data/ml-25m}
export MOVIEBOT_HOME=${MOVIEBOT_HOME:-/srv/moviebot}
SPARK_DATA=${SPARK_DATA:-hdfs://namenode:8020/moviebot/ratings}

# A standalone cluster, straight from the app:
python app.py build --only models --trainer spark \
    --spark-master spark://spark-master:7077 --spark-data "$SPARK_DATA"

# Or through spark-submit (YARN here), which sets the executors and their memory:
#   spark-submit --master yarn --deploy-mode client \
#       --driver-memory 8g --executor-memory 8g --num-executors 8 --executor-cores 4 \
#       app.py build --only models --trainer spark --spark-master yarn --spark-data "$SPARK_DATA"
#
# Then serve as usual (no trainer named: the app keeps the Spark-trained models):
#   python app.py web
