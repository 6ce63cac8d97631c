# The image of web, worker and beat (compose.yaml). Python and the pinned dependencies only.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings, not secrets: a throwaway key for this step only.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home papernotes && mkdir -p var && chown -R papernotes var
USER papernotes
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
